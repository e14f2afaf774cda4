import { href, Link } from '../router';

export function NotFound() {
  return (
    <section class="page">
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. <Link to={href('/')}>Go to the start page</Link>.
      </p>
    </section>
  );
}
