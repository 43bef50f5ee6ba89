/** Headers as a desktop browser sends them: the public results pages answer bots with a block page. */
export const BROWSER_HEADERS: Record<string, string> = {
  "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
  "accept-language": "en-US,en;q=0.9",
};

/** What the APIs that ask callers to identify themselves (Wikimedia's User-Agent policy) are told. */
export const API_HEADERS: Record<string, string> = {
  "user-agent": "deepfake-studio/0.1 (image search for a teaching project; https://github.com/) undici",
  accept: "application/json",
};
