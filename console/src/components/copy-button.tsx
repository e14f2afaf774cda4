import { useState } from 'preact/hooks';

/** Copies `text`; says so for screen readers too. Falls back to selecting a field where the Clipboard API is missing (plain-HTTP hosts). */
export function CopyButton({
  text,
  label,
  fallbackFor,
}: {
  text: string;
  label: string;
  fallbackFor?: string;
}) {
  const [done, setDone] = useState<'copied' | 'select' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      const field = fallbackFor ? document.getElementById(fallbackFor) : null;
      if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) field.select();
      setDone('select');
    }
  };
  return (
    <>
      <button type="button" class="button" onClick={copy}>
        {label}
      </button>
      <span class="copy-state" role="status">
        {done === 'copied' ? 'Copied.' : done === 'select' ? 'Selected: press Ctrl+C or ⌘C to copy.' : ''}
      </span>
    </>
  );
}
