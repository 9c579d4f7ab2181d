/**
 * Joins concurrent reads of the same key into one: a caller shares a read that has NOT been issued
 * yet (it goes out on the next turn of the event loop), never one already in flight. So every result
 * reflects the state at some moment after the call, which is all the progress path's ordering rule
 * ("subscribe, then read") needs, and a reconnect storm costs one read per key per turn, not per watcher.
 */
export function coalesce<K, V>(read: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const pending = new Map<K, Promise<V>>();
  return (key) => {
    const joined = pending.get(key);
    if (joined) return joined;
    const next = new Promise<V>((resolve, reject) => {
      setImmediate(() => {
        pending.delete(key);
        read(key).then(resolve, reject);
      });
    });
    pending.set(key, next);
    return next;
  };
}
