import type { GitCredentialConfig } from '../core/config.js';

/**
 * Authenticating `git` to remotes. The secret travels in the environment of the one git
 * process that needs it and is handed over by an inline credential helper: never on a
 * command line (visible in `ps`), in a URL (stored in `.git/config`, echoed in errors) or in logs.
 */

/** The credential for `url`: the longest matching `urlPrefix`, else one for its host. */
export function findGitCredential(url: string, credentials: readonly GitCredentialConfig[]): GitCredentialConfig | undefined {
  const byPrefix = credentials.filter((c) => c.urlPrefix !== undefined && url.startsWith(c.urlPrefix)).sort((a, b) => b.urlPrefix!.length - a.urlPrefix!.length)[0];
  if (byPrefix) return byPrefix;
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    return undefined;
  }
  return credentials.find((c) => c.host !== undefined && c.host.toLowerCase() === host.toLowerCase());
}

// Answers git's `get` with the user name and password from its own environment; ignores `store` and `erase`.
const HELPER = '!f() { test "$1" = get && printf "username=%s\\npassword=%s\\n" "$PLINTH_GIT_USERNAME" "$PLINTH_GIT_PASSWORD"; }; f';

/**
 * Environment variables that make `git` answer an authentication challenge from `url` with the
 * configured credential (none when there is no credential for it). Pass them as `runGit`'s
 * `env` (or to any `git` child process) for clone, fetch, push and ls-remote.
 */
export function gitAuthFor(url: string, credentials: readonly GitCredentialConfig[]): Record<string, string> {
  const credential = findGitCredential(url, credentials);
  if (!credential) return {};
  return {
    // The empty helper first clears helpers from system and user git config, so only ours answers.
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'credential.helper',
    GIT_CONFIG_VALUE_1: HELPER,
    PLINTH_GIT_USERNAME: credential.username,
    PLINTH_GIT_PASSWORD: credential.password,
  };
}
