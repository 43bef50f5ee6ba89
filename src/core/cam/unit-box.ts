/** A box as fractions of the model's input (0..1), so it holds for any map size. */
export interface UnitBox {
  x: number;
  y: number;
  width: number;
  height: number;
}
