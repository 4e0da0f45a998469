import Link from "next/link";

export default function NotFound() {
  return (
    <section className="space-y-3">
      <h1 className="text-2xl font-bold">Page not found</h1>
      <Link href="/" className="text-brand-600 underline">
        Back to the overview
      </Link>
    </section>
  );
}
