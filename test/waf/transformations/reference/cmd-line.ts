import type { Transformation } from './types.js';

/**
 * Description: Normalises a command line the way shells and cmd.exe read it, to defeat evasions
 * such as `c^ommand /c` or `"c"md`: deletes `\ " ' ^`; turns each run of space, tab, CR, LF,
 * `,` and `;` into one space; drops a space before `/` or `(`; lower-cases ASCII letters.
 * Syntax: `t:cmdLine`
 * Example: `C^OMMAND /C DIR` becomes `command/c dir`.
 */
export const cmdLine: Transformation = (input) => {
  let out = '';
  let space = false;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    switch (c) {
      case 0x22:
      case 0x27:
      case 0x5c:
      case 0x5e:
        break;
      case 0x20:
      case 0x2c:
      case 0x3b:
      case 0x09:
      case 0x0d:
      case 0x0a:
        if (!space) {
          out += ' ';
          space = true;
        }
        break;
      case 0x2f:
      case 0x28:
        if (space) out = out.slice(0, -1);
        space = false;
        out += input[i];
        break;
      default:
        out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : input[i];
        space = false;
    }
  }
  return out;
};
