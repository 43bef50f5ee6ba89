/**
 * Whether a picture's licence, as the search engine stated it, lets anyone republish it unchanged or re-encoded
 * (a Space's examples are public): public domain, CC0, CC BY and CC BY-SA. Non-commercial and no-derivatives
 * licences, and pictures whose licence is unknown, are not assumed publishable.
 */
const PUBLISHABLE = [/^cc0\b/, /^(cc )?pdm\b/, /^public domain\b/, /^pd\b/, /^cc by( \d|$)/, /^cc by sa( \d|$)/, /^(cc )?attribution( share ?alike)?( \d|$)/];

/** True for a licence known to allow publishing (CC0, public domain, CC BY, CC BY-SA). */
export function allowsPublishing(license: string | undefined): boolean {
  if (!license) return false;
  const name = license.trim().toLowerCase().replace(/[_\s-]+/g, " ").replace(/^creative commons /, "cc ");
  if (/\b(nc|nd|non-?commercial|no ?deriv)/.test(name)) return false;
  return PUBLISHABLE.some((pattern) => pattern.test(name));
}
