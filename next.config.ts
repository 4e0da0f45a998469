import type { NextConfig } from "next";

const config: NextConfig = {
  // The Core's own server (src/server/main.ts) fronts Next; these headers apply to the Studio's pages.
  poweredByHeader: false,
  reactStrictMode: true,
  // `npm test` type-checks the whole project with tsc; checking again inside every build only slows start-up.
  typescript: { ignoreBuildErrors: true },
  devIndicators: false,
};

export default config;
