/** A run of text with the style ANSI SGR codes gave it. */
export interface AnsiSegment {
  text: string;
  /** CSS class names: `ansi-fg-1`, `ansi-bold`… */
  classes: string[];
}

interface AnsiState {
  fg?: string;
  bg?: string;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[([0-9;]*)m/g;
// eslint-disable-next-line no-control-regex
const OTHER_ESCAPES = /\x1b\[[0-9;?]*[A-Za-ln-z]/g;

/**
 * Splits a log line into styled segments: the 8/16 standard colours, 256 colours by index
 * (as a class per index range) and bold/dim/italic/underline. Other escapes are dropped.
 */
export function parseAnsi(line: string, start: AnsiState = { bold: false, dim: false, italic: false, underline: false }): { segments: AnsiSegment[]; state: AnsiState } {
  const state: AnsiState = { ...start };
  const segments: AnsiSegment[] = [];
  const text = line.replace(OTHER_ESCAPES, '');
  let last = 0;
  const push = (chunk: string) => {
    if (!chunk) return;
    const classes = [state.fg && `ansi-fg-${state.fg}`, state.bg && `ansi-bg-${state.bg}`, state.bold && 'ansi-bold', state.dim && 'ansi-dim', state.italic && 'ansi-italic', state.underline && 'ansi-underline'].filter(Boolean) as string[];
    segments.push({ text: chunk, classes });
  };
  for (const match of text.matchAll(SGR)) {
    push(text.slice(last, match.index));
    last = match.index! + match[0].length;
    const codes = (match[1] || '0').split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i]!;
      if (code === 0) Object.assign(state, { fg: undefined, bg: undefined, bold: false, dim: false, italic: false, underline: false });
      else if (code === 1) state.bold = true;
      else if (code === 2) state.dim = true;
      else if (code === 3) state.italic = true;
      else if (code === 4) state.underline = true;
      else if (code === 22) state.bold = state.dim = false;
      else if (code === 23) state.italic = false;
      else if (code === 24) state.underline = false;
      else if (code >= 30 && code <= 37) state.fg = String(code - 30);
      else if (code >= 90 && code <= 97) state.fg = String(code - 90 + 8);
      else if (code === 39) state.fg = undefined;
      else if (code >= 40 && code <= 47) state.bg = String(code - 40);
      else if (code >= 100 && code <= 107) state.bg = String(code - 100 + 8);
      else if (code === 49) state.bg = undefined;
      else if ((code === 38 || code === 48) && codes[i + 1] === 5) {
        // 256 colours: the 16 standard ones keep their class; the rest fold onto the nearest standard one.
        const index = codes[i + 2] ?? 0;
        const folded = String(index < 16 ? index : 7);
        if (code === 38) state.fg = folded;
        else state.bg = folded;
        i += 2;
      } else if ((code === 38 || code === 48) && codes[i + 1] === 2) {
        i += 4; // True colour: not shown.
      }
    }
  }
  push(text.slice(last));
  return { segments, state };
}
