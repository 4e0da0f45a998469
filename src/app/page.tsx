import { StatusCard } from "./status-card.tsx";

export default function HomePage() {
  return (
    <section className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold tracking-tight">Overview</h1>
        <p className="text-sm text-slate-500">The Core this Studio is connected to, refreshed every five seconds.</p>
      </header>
      <StatusCard />
    </section>
  );
}
