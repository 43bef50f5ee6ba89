/** The error every Hugging Face Hub call of the studio throws: a message saying what to do, plus what the hub answered. */
import { StudioError } from "../shared/errors";
import type { Hint } from "../shared/hint";

/** Stable codes, one per situation the user handles differently. */
export type HubErrorCode =
  | "hub-token-missing"
  | "hub-token-invalid"
  | "hub-forbidden"
  | "hub-payment-required"
  | "hub-conflict"
  | "hub-too-large"
  | "hub-not-found"
  | "hub-rejected"
  | "hub-rate-limited"
  | "hub-unavailable"
  | "hub-network"
  | "hub-timeout";

export class HubError extends StudioError {
  constructor(
    message: string,
    code: HubErrorCode,
    hint?: Hint,
    /** HTTP status the hub answered with; absent for network failures and local checks. */
    readonly statusCode?: number,
    /** The URL that failed (never carries the token: it only travels in the Authorization header). */
    readonly url?: string,
  ) {
    super(message, code, hint);
  }
}
