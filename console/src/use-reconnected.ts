import { useEffect, useRef } from 'preact/hooks';
import { useSession } from './session-context';

/** Calls `refresh` each time the live connection comes back after a drop: events in the gap are lost. */
export function useReconnected(refresh: () => void): void {
  const { api } = useSession();
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    let wasDown = false;
    return api.onConnection((state) => {
      if (state !== 'connected') wasDown = true;
      else if (wasDown) {
        wasDown = false;
        latest.current();
      }
    });
  }, [api]);
}
