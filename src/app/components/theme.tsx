"use client";
import { useEffect, useState } from "react";

type Choice = "light" | "dark" | "system";
const STORAGE_KEY = "studio-theme";

/**
 * Runs before first paint (inlined in the layout's <head>; the Studio's CSP allows inline scripts) so a
 * dark-mode user never sees a white flash: a stored choice wins, else the system preference.
 */
export const THEME_SCRIPT = `(function(){try{var c=localStorage.getItem("${STORAGE_KEY}");var d=c==="dark"||(c!=="light"&&matchMedia("(prefers-color-scheme: dark)").matches);document.documentElement.classList.toggle("dark",d);document.documentElement.style.colorScheme=d?"dark":"light"}catch(e){}})()`;

function apply(choice: Choice) {
  const dark = choice === "dark" || (choice === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

/** Light / dark / system, remembered in localStorage; "system" follows the OS live. */
export function ThemeToggle() {
  const [choice, setChoice] = useState<Choice>("system");
  useEffect(() => {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "light" || stored === "dark") setChoice(stored);
  }, []);
  useEffect(() => {
    if (choice !== "system") return;
    const mq = matchMedia("(prefers-color-scheme: dark)");
    const follow = () => apply("system");
    mq.addEventListener("change", follow);
    return () => mq.removeEventListener("change", follow);
  }, [choice]);
  return (
    <label className="flex items-center gap-2 text-sm text-slate-300">
      Theme
      <select
        aria-label="Theme"
        value={choice}
        onChange={(e) => {
          const c = e.target.value as Choice;
          setChoice(c);
          if (c === "system") localStorage.removeItem(STORAGE_KEY);
          else localStorage.setItem(STORAGE_KEY, c);
          apply(c);
        }}
        className="rounded border border-slate-700 bg-slate-800 px-1 py-0.5 text-slate-100"
      >
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
