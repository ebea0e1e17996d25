// `--exec "<command line>"` as argv, without a shell: words split on blanks, with POSIX-shell
// quoting ('...', "...", backslash) and nothing expanded (docs/protocol.md "Transport").

export function splitCommandLine(line: string): string[] | { error: string } {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: 'unterminated single quote' };
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        // In double quotes a backslash escapes only $ ` " \ and newline (POSIX 2.2.3).
        if (line[j] === '\\' && j + 1 < line.length && '$`"\\\n'.includes(line[j + 1] as string))
          j++;
        s += line[j];
      }
      if (j >= line.length) return { error: 'unterminated double quote' };
      word = (word ?? '') + s;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return { error: 'a backslash at the end' };
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  if (!words.length) return { error: 'empty command line' };
  return words;
}
