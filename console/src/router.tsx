import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Paths inside the console, without this prefix (`/`, `/commands/…`); the server answers them all. */
export const BASE = '/console';

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return { path: path === '' ? '/' : path, query: new URLSearchParams(location.search) };
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams(
    Object.entries(query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  ).toString();
  return `${BASE}${path === '/' ? '' : path}${q ? `?${q}` : ''}`;
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const changed = () => setLoc(current());
    addEventListener('popstate', changed);
    return () => removeEventListener('popstate', changed);
  }, []);
  return loc;
}

/** A link that changes the page without reloading it (modifier clicks open a new tab as usual). */
export function Link({
  to,
  children,
  ...rest
}: {
  to: string;
  class?: string;
  'aria-current'?: 'page';
  children?: ComponentChildren;
}) {
  return (
    <a
      {...rest}
      href={to}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
