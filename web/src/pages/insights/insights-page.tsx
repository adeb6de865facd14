import { ComingSoon } from '../../components/coming-soon.js';

export function InsightsPage() {
  return (
    <ComingSoon
      title="Insights"
      coming="Insights will chart how teams deliver — the four DORA keys: deployment frequency, lead time for changes, change failure rate and time to restore — per team and per service."
      today={[
        <>
          Scrape Plinth's own metrics in Prometheus format at <a href="/metrics">/metrics</a>.
        </>,
        <>
          Check its health at <a href="/healthz">/healthz</a> and <a href="/readyz">/readyz</a>.
        </>,
      ]}
    />
  );
}
