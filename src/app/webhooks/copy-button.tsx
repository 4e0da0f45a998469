"use client";
import { Button } from "../components/button.tsx";
import { useToast } from "../components/toast.tsx";

/** Puts `text` on the clipboard and says so; `what` names it in the toast and the button's accessible name. */
export function CopyButton({ text, what, label = "Copy" }: { text: string; what: string; label?: string }) {
  const toast = useToast();
  return (
    <Button
      type="button"
      variant="secondary"
      aria-label={`Copy ${what}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          toast.success(`${what.charAt(0).toUpperCase()}${what.slice(1)} copied.`);
        } catch {
          toast.error("The browser refused to copy; select the text and copy it.");
        }
      }}
    >
      {label}
    </Button>
  );
}
