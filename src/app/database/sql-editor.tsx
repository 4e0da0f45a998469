"use client";
import { PostgreSQL, sql } from "@codemirror/lang-sql";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { setDiagnostics } from "@codemirror/lint";
import { Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import CodeMirror, { type ReactCodeMirrorRef } from "@uiw/react-codemirror";
import { useEffect, useMemo, useRef, useState } from "react";

/** Where PostgreSQL says the statement went wrong: 1-based, in characters (code points), as it counts. */
export interface ErrorMark {
  position: number;
  message: string;
}

/** The UTF-16 range CodeMirror needs for PostgreSQL's character position: the token starting there. */
export function markRange(doc: string, position: number): { from: number; to: number } {
  const chars = [...doc];
  const before = Math.min(Math.max(position - 1, 0), chars.length);
  let from = chars.slice(0, before).join("").length;
  // "at end of input" points past the last character: mark the last one instead.
  if (from >= doc.length) from = Math.max(doc.length - 1, 0);
  const token = /^(?:"[^"]*"?|'[^']*'?|[\p{L}\p{N}_$]+|\S)/u.exec(doc.slice(from))?.[0] ?? "";
  return { from, to: Math.min(from + Math.max(token.length, 1), doc.length) };
}

/**
 * The dark theme (One Dark) colours identifiers and comments below WCAG AA contrast on its background
 * (4.1:1 and 3.8:1); these lighter shades of the same hues reach 6.1:1 and 5.4:1.
 */
const DARK_CONTRAST = Prec.high(
  syntaxHighlighting(
    HighlightStyle.define([
      { tag: [tags.name, tags.deleted, tags.character, tags.propertyName, tags.macroName], color: "#f0959d" },
      { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "#9da5b4" },
    ]),
  ),
);

/** CodeMirror's placeholder grey (#888) is below AA contrast on both themes; slate-600 and slate-400 pass. */
const LIGHT_PLACEHOLDER = EditorView.theme({ ".cm-placeholder": { color: "#475569" } });
const DARK_PLACEHOLDER = EditorView.theme({ ".cm-placeholder": { color: "#94a3b8" } });

/** Whether the Studio is in dark mode (the `dark` class on <html>, set by the theme toggle). */
function useDarkClass(): boolean {
  const [dark, setDark] = useState(false);
  useEffect(() => {
    const html = document.documentElement;
    const read = () => setDark(html.classList.contains("dark"));
    read();
    const observer = new MutationObserver(read);
    observer.observe(html, { attributes: true, attributeFilter: ["class"] });
    return () => observer.disconnect();
  }, []);
  return dark;
}

/**
 * The console's editor: CodeMirror 6 with PostgreSQL highlighting and completion of keywords, Ctrl/Cmd+Enter
 * to run, and PostgreSQL's error position underlined (a lint diagnostic, with the message on hover). Tab moves
 * focus on rather than indenting, so the page stays usable from the keyboard.
 */
export function SqlEditor({
  value,
  onChange,
  onRun,
  error,
  tables,
}: {
  value: string;
  onChange: (v: string) => void;
  onRun: () => void;
  error: ErrorMark | null;
  /** The selected schema's tables and their columns, offered as completions. */
  tables?: Record<string, string[]> | undefined;
}) {
  const ref = useRef<ReactCodeMirrorRef>(null);
  const run = useRef(onRun);
  run.current = onRun;
  const dark = useDarkClass();

  const extensions = useMemo(
    () => [
      sql({ dialect: PostgreSQL, upperCaseKeywords: true, ...(tables ? { schema: tables } : {}) }),
      // Above the default keymap, where Mod-Enter would insert a blank line.
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (run.current(), true) }])),
      EditorView.contentAttributes.of({ "aria-label": "SQL", "aria-multiline": "true" }),
      EditorView.lineWrapping,
    ],
    [tables],
  );

  useEffect(() => {
    const view = ref.current?.view;
    if (!view) return;
    const doc = view.state.doc.toString();
    const diagnostics = error && doc.length > 0 ? [{ ...markRange(doc, error.position), severity: "error" as const, message: error.message }] : [];
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }, [error]);

  return (
    <div data-testid="sql-editor" className="overflow-hidden rounded-md border border-slate-300 text-sm dark:border-slate-600">
      <CodeMirror
        ref={ref}
        value={value}
        onChange={onChange}
        extensions={dark ? [...extensions, DARK_CONTRAST, DARK_PLACEHOLDER] : [...extensions, LIGHT_PLACEHOLDER]}
        theme={dark ? "dark" : "light"}
        minHeight="8rem"
        maxHeight="24rem"
        placeholder="SELECT * FROM …"
        indentWithTab={false}
        basicSetup={{ foldGutter: false, highlightActiveLine: false }}
      />
    </div>
  );
}
