/**
 * "Did you mean …" for misspelt setting names: the closest known name by edit distance, if it is close
 * enough to be a plausible typo rather than a different word.
 */

function editDistance(from: string, to: string): number {
  let previous = Array.from({ length: to.length + 1 }, (_, index) => index)
  for (let row = 1; row <= from.length; row += 1) {
    const current = [row]
    for (let column = 1; column <= to.length; column += 1) {
      const substitution = (previous[column - 1] ?? 0) + (from[row - 1] === to[column - 1] ? 0 : 1)
      const deletion = (previous[column] ?? 0) + 1
      const insertion = (current[column - 1] ?? 0) + 1
      current.push(Math.min(substitution, deletion, insertion))
    }
    previous = current
  }
  return previous[to.length] ?? 0
}

/**
 * Returns the candidate closest to `input` (ignoring case), or undefined when none is within a third of
 * the input's length (at least 2 edits).
 *
 * @example
 * suggestName('TESSERA_PROT', ['TESSERA_PORT', 'TESSERA_HOST']) // 'TESSERA_PORT'
 */
export function suggestName(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase()
  const allowedEdits = Math.max(2, Math.floor(input.length / 3))
  let best: { name: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase())
    if (distance <= allowedEdits && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance }
    }
  }
  return best?.name
}
