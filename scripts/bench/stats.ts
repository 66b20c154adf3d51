/** The nearest-rank percentile `p` (0–100) of ascending `sorted` values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** A number for a table: thousands separated, `digits` decimals; '—' for NaN. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds: one decimal below 100 ms, whole above. */
export function ms(value: number): string {
  return fmt(value, Math.abs(value) < 100 ? 1 : 0);
}

/** Bytes as B, KiB or MiB. */
export function size(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${fmt(bytes)} B`;
  return Math.abs(bytes) >= 2 ** 20 ? `${fmt(bytes / 2 ** 20, 1)} MiB` : `${fmt(bytes / 1024, 1)} KiB`;
}

/** A markdown table (padded so it also reads well in a terminal); `align` per column, 'r' for numbers. */
export function markdownTable(header: string[], rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths = header.map((cell, i) => Math.max(3, cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, i) => (align[i] === 'r' ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((width, i) => (align[i] === 'r' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
