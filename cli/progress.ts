// Progress of a long command on stderr: on a terminal one line rewritten in place (a 50,000-entry
// import is one line that moves, not thousands); into a pipe or a log file, plain lines.

export interface ProgressLine {
  /** Shows this line as the current progress. */
  update(line: string): void;
  /** Ends the progress: the last line stays, and what is printed next starts on its own line. */
  done(): void;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const inPlace = stream.isTTY === true;
  let open = false;
  return {
    update(line) {
      if (!inPlace) {
        stream.write(`${line}\n`);
        return;
      }
      // Back to the line's start, the old text erased (ESC [ K), the new one written.
      stream.write(`\r\x1b[K${line}`);
      open = true;
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
