import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 9181);
// The Core mails sign-in links here; playwright/sso.spec.ts runs a real SMTP server (smtp-server) on it.
// Other specs never make links, so nothing needs to listen while they run.
const E2E_SMTP_PORT = Number(process.env.E2E_SMTP_PORT ?? 9182);

// Debian's Chromium (apt-get install chromium); Playwright's own browser download cannot run offline.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "./playwright",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  // First-run setup needs the Core empty, so it runs first; every other spec signs in as the admin it creates.
  projects: [
    { name: "first-run", testMatch: /first-run\.spec\.ts/, use: { browserName: "chromium" } },
    { name: "studio", testIgnore: /first-run\.spec\.ts/, dependencies: ["first-run"], use: { browserName: "chromium" } },
  ],
  webServer: {
    // The real Core, as `npm start` runs it, on a data directory of its own that each run starts empty.
    command: "rm -rf .e2e-data && node --import tsx src/server/main.ts",
    url: `http://127.0.0.1:${PORT}/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    // Every spec signs in from 127.0.0.1, many times a minute: the per-address limit would make the run flaky.
    env: {
      PORT: String(PORT),
      ROOTCX_DATA_DIR: ".e2e-data",
      LOG_LEVEL: "warn",
      ROOTCX_LOGIN_RATE_PER_MINUTE: "10000",
      // Every spec signs its people up from 127.0.0.1 against this one Core: more than the default 20 an hour.
      ROOTCX_REGISTER_RATE_PER_HOUR: "10000",
      ROOTCX_SMTP_URL: `smtp://127.0.0.1:${E2E_SMTP_PORT}`,
      ROOTCX_SMTP_FROM: "RootCX Studio <no-reply@studio.test>",
    },
    stdout: "pipe",
    stderr: "pipe",
  },
});
