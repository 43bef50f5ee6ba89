/** Assertions shared by the suites. */
import { strict as assert } from "node:assert";
import { StudioError } from "../../src/core/shared/errors";

/** Asserts that `promise` rejects with a StudioError of `code` and returns it for more checks. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<StudioError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StudioError, `expected a StudioError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected a rejection with code ${code}`);
}
