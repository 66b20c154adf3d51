/** Where a streamed answer's member ids go: the collection head is built with an empty `members` array. */
export const MEMBERS_MARK = '"members" : []';
/** Where a streamed dataset's collections go: its head is built with an empty `collections` array. */
export const COLLECTIONS_MARK = '"collections" : []';

/**
 * A head PostgreSQL built with an empty array at `mark` (json_build_object's `"key" : []` spacing,
 * which no string value or jsonb metadata can contain unescaped), split around that array: the
 * text up to and including its `[`, and from its `]` on.
 */
export function splitAt(head: string, mark: string): [string, string] {
  const at = head.indexOf(mark);
  if (at < 0) throw new Error(`streamed answer without ${mark}`);
  return [head.slice(0, at + mark.length - 1), head.slice(at + mark.length - 1)];
}

/** The ids inside a chunk's JSON array text, or '' for none. */
const inner = (chunk: string): string => chunk.slice(1, -1);

/** The parts a big answer is streamed from, in order. */
export type StreamPart = { dataset: string } | { collection: string } | { ids: string };

/**
 * The text of a streamed answer, from its parts in order: a collection head and its id chunks,
 * or a dataset head followed by its collections (each a head and its chunks).
 */
export async function* assemble(parts: AsyncIterable<StreamPart>): AsyncGenerator<string> {
  let datasetTail: string | null = null;
  let collectionTail: string | null = null;
  let collections = 0;
  let firstId = true;
  for await (const part of parts) {
    if ('dataset' in part) {
      const [prefix, tail] = splitAt(part.dataset, COLLECTIONS_MARK);
      datasetTail = tail;
      yield prefix;
    } else if ('collection' in part) {
      const [prefix, tail] = splitAt(part.collection, MEMBERS_MARK);
      yield (collectionTail ?? '') + (collections++ > 0 ? ',' : '') + prefix;
      collectionTail = tail;
      firstId = true;
    } else {
      const ids = inner(part.ids);
      if (ids === '') continue;
      yield firstId ? ids : `,${ids}`;
      firstId = false;
    }
  }
  yield (collectionTail ?? '') + (datasetTail ?? '');
}

/**
 * `first`, then the rest of `parts` (a part already read to check the answer exists). `parts` is
 * closed however this ends, also when the consumer stops at `first` (a client gone after the first
 * piece): it may hold a pooled connection and a snapshot until its `finally` runs.
 */
export async function* prepend<T>(first: T, parts: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield first;
    yield* parts;
  } finally {
    await parts.return(undefined);
  }
}
