/**
 * A test that needs something from the system fails with what to install; it is never skipped. `npm test`'s
 * pretest (test/ensure-system.js) installs these packages first, so reaching this failure means a broken setup.
 */
export function requireSystem(present: unknown, what: string, debianPackage: string): asserts present {
  if (!present) throw new Error(`${what} is missing: install the Debian package ${debianPackage} (npm test's pretest installs it when run as root).`);
}
