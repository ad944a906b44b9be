/**
 * Put `text` on the clipboard; true when it worked. The Clipboard API exists only on secure pages
 * (https, localhost): elsewhere the text of `input` (an <input> showing it) is selected and copied the old
 * way, and at worst left selected for Ctrl+C.
 */
export async function copyText(text, input = null) {
  try {
    if (globalThis.navigator?.clipboard?.writeText) {
      await globalThis.navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // refused (no permission, page not focused): fall back below
  }
  if (!input) return false
  input.focus()
  input.select()
  try {
    return document.execCommand('copy')
  } catch {
    return false
  }
}
