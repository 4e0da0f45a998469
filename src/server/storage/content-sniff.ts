import { fileTypeFromBuffer, supportedMimeTypes } from "file-type";

/** How many leading bytes the sniffer reads: file-type's own sample size covers every format it detects. */
export const SNIFF_BYTES = 4100;

export const OCTET_STREAM = "application/octet-stream";

/** What the first bytes say about a declared content type. */
export interface Sniffed {
  /** The declared media type's essence (`type/subtype`, lower case), or undefined when none was declared. */
  declared: string | undefined;
  /** What file-type recognised in the first bytes, or undefined (text formats, unknown or too short). */
  detected: string | undefined;
  /**
   * The declared type is one the sniffer knows, and the bytes are not of it: an `.html` sent as `image/png`.
   * Callers refuse such an upload where the type matters (it decides how browsers and bucket rules treat it).
   */
  mismatch: boolean;
  /**
   * The bytes read as markup or script (an HTML page, an SVG, XML, a `<script>`) while the declared type is not
   * a textual one: refused everywhere, since a viewer that trusts the declared type would run them.
   */
  activeUnderPassiveType: boolean;
  /** The type to store: the declared one, else the detected one, else application/octet-stream. */
  contentType: string;
}

// Several names for one format: the spelling a browser sends is as good as the one file-type answers.
const ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "application/x-zip-compressed": "application/zip",
  "audio/x-wav": "audio/wav",
  "audio/wave": "audio/wav",
  "image/x-png": "image/png",
  "application/x-pdf": "application/pdf",
};

// ZIP containers: file-type names the specific format when it can tell (docx, odt, epub, jar) and plain zip
// when it cannot, so any two of these are taken to agree.
function isZipFamily(mime: string): boolean {
  return mime === "application/zip" || mime === "application/epub+zip" || mime === "application/java-archive" ||
    mime === "application/vnd.android.package-archive" || mime.startsWith("application/vnd.openxmlformats-officedocument.") ||
    mime.startsWith("application/vnd.oasis.opendocument.");
}

const canonical = (mime: string) => ALIASES[mime] ?? mime;
const KNOWN = new Set<string>([...supportedMimeTypes].map(canonical));

// RFC 9110 token characters on both sides of the slash, parameters allowed after a semicolon.
const MEDIA_TYPE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,127}\/[A-Za-z0-9!#$%&'*+.^_`|~-]{1,127}\s*(;[\x20-\x7e]*)?$/;

/** Whether `value` is a media type (`type/subtype`, optionally with parameters), at most 255 characters. */
export function isMediaType(value: string): boolean {
  return value.length <= 255 && MEDIA_TYPE.test(value);
}

/** `Image/PNG; charset=x` → `image/png`; undefined for nothing or application/octet-stream (which claims nothing). */
export function mediaTypeEssence(declared: string | undefined): string | undefined {
  const essence = declared?.split(";", 1)[0]!.trim().toLowerCase();
  return essence && essence !== OCTET_STREAM ? essence : undefined;
}

/** Types whose bytes are text a browser may interpret: markup in them is what they are, not a disguise. */
export function isTextualType(essence: string): boolean {
  return essence.startsWith("text/") || essence.endsWith("+xml") || essence.endsWith("+json") ||
    ["application/xml", "application/json", "application/javascript", "application/ecmascript", "application/x-javascript"].includes(essence);
}

// The UTF-8 byte order mark as latin1 reads it.
const UTF8_BOM = /^\xef\xbb\xbf/;
// A leading tag, comment, doctype or processing instruction (what browsers and XML parsers key on), or a script
// element anywhere in the sample.
const LEADING_MARKUP = /^\s*<(?:[a-z!?]|\/[a-z])/i;
const SCRIPT_ELEMENT = /<script[\s>\/]/i;

/** Whether the first bytes are HTML, XML or a script element; `head` is at most SNIFF_BYTES. */
export function looksLikeMarkup(head: Uint8Array): boolean {
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString("latin1").replace(UTF8_BOM, "");
  return LEADING_MARKUP.test(text) || SCRIPT_ELEMENT.test(text);
}

/** Compares the declared type with what the first bytes are (`head`: at least SNIFF_BYTES, or the whole file). */
export async function sniff(head: Uint8Array, declaredType: string | undefined): Promise<Sniffed> {
  const declared = mediaTypeEssence(declaredType);
  const detected = head.byteLength ? (await fileTypeFromBuffer(head))?.mime : undefined;
  let mismatch = false;
  if (declared && KNOWN.has(canonical(declared))) {
    const want = canonical(declared);
    const got = detected === undefined ? undefined : canonical(detected);
    mismatch = got !== want && !(got !== undefined && isZipFamily(want) && isZipFamily(got));
  }
  const activeUnderPassiveType = declared !== undefined && detected === undefined && !isTextualType(declared) && looksLikeMarkup(head);
  return { declared, detected, mismatch, activeUnderPassiveType, contentType: declared ?? detected ?? OCTET_STREAM };
}

/** The refusal (415) of content that contradicts its declared type: another format, or markup under a non-text type. */
export function contentProblem(s: Sniffed): string | undefined {
  if (s.mismatch) return mismatchMessage(s);
  if (s.activeUnderPassiveType) return `the file's content is markup or script (HTML, XML, SVG), which its declared type ${s.declared} is not`;
  return undefined;
}

/** The sentence a caller refusing a mismatch answers with. */
export function mismatchMessage(s: Sniffed): string {
  return `the file's content does not match its declared type ${s.declared ?? OCTET_STREAM}` + (s.detected ? ` (its bytes are ${s.detected})` : "");
}
