/**
 * Whether a detection's 68 landmarks are laid out like a face. The detectors box textures that are no face (a
 * digit of ffmpeg's test pattern scored 0.98), and the landmark net always answers with some face-shaped set of
 * points; on a non-face those points come out rotated, squashed or out of order. Measured on the reference faces
 * (22 people, framed from close-ups to head and shoulders, found with and without the padded retry) against every
 * detection on ffmpeg testsrc frames: the bounds below keep every reference face scoring 0.5 or more (their
 * extremes in brackets) and drop all but one test-pattern box, which the minimum score drops.
 */
import type { DetectedFace, FacePoint } from "../face-nets/detect-faces";
import { faceFrame } from "../face-nets/face-frame";

/** Head roll: the eye line tilts at most this many degrees (reference faces: ±45°). */
const MAX_ROLL_DEGREES = 60;
/** Eye distance as a share of the box width (reference: 0.28-0.43; a profile narrows it, a tight box widens it). */
const EYE_DISTANCE_OF_BOX = [0.2, 0.75];
/** The nose tip below the eye line, in eye distances (reference: 0.47-0.92). */
const NOSE_BELOW_EYES = [0.3, 1.4];
/** The mouth's centre below the eye line, in eye distances (reference: 1.0-1.5), and at least this far below the nose tip (reference: 0.25). */
const MOUTH_BELOW_EYES = [0.7, 2.2];
const MOUTH_BELOW_NOSE = 0.15;
/** Mouth width in eye distances (reference: 0.71-1.12). */
const MOUTH_WIDTH = [0.45, 1.8];
/** The nose tip along the eye line from its middle, in eye distances (reference: ±0.4; a turned head moves it). */
const MAX_NOSE_ALONG_EYES = 1;

/** True when the eyes sit above the nose and the nose above the mouth, upright enough, at face-like distances. */
export function isPlausibleFace(face: DetectedFace): boolean {
  const points = face.landmarks;
  if (points.length !== 68 || face.box.width <= 0) return false;
  const { leftEye, rightEye, eyeDistance: eyes, yaw } = faceFrame(points);
  if (!(eyes > 0)) return false;
  // Axes of the face: along the eye line (left to right in the picture) and down, perpendicular to it.
  const along = { x: (rightEye.x - leftEye.x) / eyes, y: (rightEye.y - leftEye.y) / eyes };
  const middle = { x: (leftEye.x + rightEye.x) / 2, y: (leftEye.y + rightEye.y) / 2 };
  const below = (p: FacePoint): number => (-(p.x - middle.x) * along.y + (p.y - middle.y) * along.x) / eyes;
  const nose = points[30];
  const mouth = mean(points.slice(48, 60));
  const roll = (Math.atan2(along.y, along.x) * 180) / Math.PI;
  const mouthWidth = Math.hypot(points[54].x - points[48].x, points[54].y - points[48].y) / eyes;
  return (
    Math.abs(roll) <= MAX_ROLL_DEGREES &&
    within(eyes / face.box.width, EYE_DISTANCE_OF_BOX) &&
    within(below(nose), NOSE_BELOW_EYES) &&
    within(below(mouth), MOUTH_BELOW_EYES) &&
    below(mouth) - below(nose) >= MOUTH_BELOW_NOSE &&
    within(mouthWidth, MOUTH_WIDTH) &&
    Math.abs(yaw) <= MAX_NOSE_ALONG_EYES
  );
}

function within(value: number, [low, high]: number[]): boolean {
  return value >= low && value <= high;
}

function mean(points: readonly FacePoint[]): FacePoint {
  return { x: points.reduce((sum, p) => sum + p.x, 0) / points.length, y: points.reduce((sum, p) => sum + p.y, 0) / points.length };
}
