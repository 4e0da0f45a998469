import Link from "next/link";
import { PageHeader } from "./components/page-header.tsx";

export default function NotFound() {
  return (
    <section className="space-y-3">
      <PageHeader title="Page not found" description="No Studio panel lives at this address." />
      <Link href="/" className="text-brand-600 underline dark:text-indigo-300">
        Back to the overview
      </Link>
    </section>
  );
}
