"use client";
import { ApiReferenceReact } from "@scalar/api-reference-react";
import "@scalar/api-reference-react/style.css";
import { useEffect, useState } from "react";

/** Whether the Studio is in dark mode (class `dark` on <html>, components/theme.tsx), followed as it changes. */
function useStudioDark(): boolean {
  const [dark, setDark] = useState(() => document.documentElement.classList.contains("dark"));
  useEffect(() => {
    const html = document.documentElement;
    const observer = new MutationObserver(() => setDark(html.classList.contains("dark")));
    observer.observe(html, { attributes: true, attributeFilter: ["class"] });
    return () => observer.disconnect();
  }, []);
  return dark;
}

/**
 * Scalar, configured to load nothing from elsewhere: the document from this Core, the Studio's fonts (not
 * Scalar's hosted ones), no telemetry, and no hosted API client; the Studio's theme decides light or dark.
 */
export function ApiReference() {
  const dark = useStudioDark();
  return (
    <ApiReferenceReact
      key={dark ? "dark" : "light"}
      configuration={{
        url: "/api/v1/openapi.json",
        withDefaultFonts: false,
        telemetry: false,
        hideClientButton: true,
        // Requests are made with curl, a generated client or the Studio itself; the reference only describes them.
        hideTestRequestButton: true,
        hideDarkModeToggle: true,
        forceDarkModeState: dark ? "dark" : "light",
        darkMode: dark,
        documentDownloadType: "none",
        showDeveloperTools: "never",
        agent: { disabled: true },
      }}
    />
  );
}
