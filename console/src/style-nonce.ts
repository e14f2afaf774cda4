/**
 * The page's Content-Security-Policy allows `<style>` elements only with the nonce the server put
 * on this response. xterm.js writes its colours and cell sizes into `<style>` elements it creates
 * itself, so every `<style>` created through `document.createElement` gets the page's nonce.
 */
export function stampStyleNonces(doc: Document): void {
  const nonce = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce;
  if (!nonce) return;
  const create = doc.createElement.bind(doc);
  doc.createElement = ((tagName: string, options?: ElementCreationOptions) => {
    const element = create(tagName, options);
    if (tagName.toLowerCase() === 'style') element.nonce = nonce;
    return element;
  }) as Document['createElement'];
}
