export * from "./audit-shortcuts";
export * from "./cross-validated-accuracy";
export * from "./face-identity-descriptor";
export * from "./picture-cues";
export * from "./shortcut-audit";
export * from "./describe-audit";
