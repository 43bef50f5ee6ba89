export { cropFaceFromBytes, cropLargestFace, type FaceCrop, type FaceCropPlacement } from "./crop-largest-face";
export { cropTrainingFace, TRAINING_CROP_SIZE, TRAINING_MARGIN, type TrainingCrop } from "./crop-training-face";
export { detectFrameFaces, type FaceDetectorKind } from "./detect-frame-faces";
export { FACE_CROP_VERSION, faceCropSettings, type FaceCropSettings } from "./face-crop-settings";
