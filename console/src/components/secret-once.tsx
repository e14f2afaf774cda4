import { useId } from 'preact/hooks';
import { CopyButton } from './copy-button';

/**
 * A secret that rdev returns only from the mutation that made it: shown here once, then dropped
 * from memory when the person says they have stored it.
 */
export function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone(): void }) {
  const id = useId();
  return (
    <section class="card secret" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{title}</h3>
      <p>Store it now: it is shown only this once and cannot be read again.</p>
      <div class="secret-row">
        <label class="visually-hidden" for={`${id}-value`}>
          {title}
        </label>
        <input
          id={`${id}-value`}
          class="secret-value"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <CopyButton text={secret} label="Copy" fallbackFor={`${id}-value`} />
      </div>
      <button type="button" class="button button-primary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
