/**
 * Guards for answers that arrive out of order. A list loaded before an add or a remove must not
 * overwrite it, and a slow answer to an old filter must not replace the answer to the new one.
 */

/**
 * Counts the local changes to a list (an add, a remove) so that a load can tell it saw all of them.
 *
 * Example: const changes = changeCounter(); changes.note() after an add; await changes.settled(listThings)
 */
export function changeCounter() {
  let count = 0
  return {
    note() {
      count += 1
    },
    /** fetch()'s answer, fetched again while a local change happened during it. */
    async settled(fetch) {
      for (;;) {
        const before = count
        const value = await fetch()
        if (count === before) return value
      }
    },
  }
}

/**
 * Marks each load so that only the newest one may show its answer.
 *
 * Example: const loads = latestOnly(); const isLatest = loads.begin(); await ...; if (!isLatest()) return
 */
export function latestOnly() {
  let newest = 0
  return {
    begin() {
      newest += 1
      const mine = newest
      return () => mine === newest
    },
  }
}
