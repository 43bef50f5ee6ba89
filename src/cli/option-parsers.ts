/** Parsers for option values: a wrong value stops the command with a message instead of being silently ignored. */
import { InvalidArgumentError } from "commander";

/** A whole number ≥ 1. */
export function parsePositiveInt(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`expected a whole number of 1 or more, got "${value}"`);
  return parsed;
}
