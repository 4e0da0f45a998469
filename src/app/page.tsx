import { PageHeader } from "./components/page-header.tsx";
import { StatusCard } from "./status-card.tsx";

export default function HomePage() {
  return (
    <section className="space-y-6">
      <PageHeader title="Overview" description="The Core this Studio is connected to, refreshed every five seconds." />
      <StatusCard />
    </section>
  );
}
