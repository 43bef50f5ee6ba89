/**
 * The networks the torch and hf-jobs engines can fine-tune, by the name `train.torchBackbone` and `--torch-backbone`
 * use (kept free of imports: the project file's schema reads it). mobilenet_v2 starts from the studio's own backbone
 * (train.backbone, offline); the others from torchvision's ImageNet weights, which train.py downloads once into
 * TORCH_HOME (torch.hub's cache), as fastai's vision_learner does.
 */
export const TORCH_BACKBONES = ["mobilenet_v2", "resnet18", "resnet34", "efficientnet_b0"] as const;

export type TorchBackboneName = (typeof TORCH_BACKBONES)[number];

export const DEFAULT_TORCH_BACKBONE: TorchBackboneName = "mobilenet_v2";

/** The names as a sentence, for messages. */
export const TORCH_BACKBONE_CHOICES = `${TORCH_BACKBONES.slice(0, -1).join(", ")} or ${TORCH_BACKBONES[TORCH_BACKBONES.length - 1]}`;

/** How people call them, for messages and the model card. */
export const TORCH_BACKBONE_TITLES: Record<TorchBackboneName, string> = {
  mobilenet_v2: "MobileNetV2",
  resnet18: "ResNet-18",
  resnet34: "ResNet-34",
  efficientnet_b0: "EfficientNet-B0",
};
