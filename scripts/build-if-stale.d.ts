export const root: string;
/** Runs `npm run <script>` when `output` is missing or older than any file under `sources` (paths relative to the repository). */
export function buildIfStale(output: string, sources: string[], script: string): void;
