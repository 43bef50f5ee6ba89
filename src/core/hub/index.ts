/** Talking to the Hugging Face Hub: tokens, errors, and deploying a Space folder. */
export { createHubFetch } from "./create-hub-fetch";
export type { CreateHubFetchParams, HubFetch } from "./create-hub-fetch";
export { deploySpace } from "./deploy-space";
export type { DeploySpaceParams, DeploySpaceResult } from "./deploy-space";
export { describeHubError } from "./describe-hub-error";
export { findHfToken } from "./find-hf-token";
export type { FoundHfToken } from "./find-hf-token";
export { HubError } from "./hub-error";
export type { HubErrorCode } from "./hub-error";
export { resolveHubUrl } from "./resolve-hub-url";
export { spaceUrl } from "./space-url";
