import { ComingSoon } from '../../components/coming-soon.js';

export function ScorecardsPage() {
  return (
    <ComingSoon
      title="Scorecards"
      coming="Scorecards will grade every component against your standards — Bronze, Silver, Gold — and tell each team what to fix next."
      today={[
        <>Agree on the checks that matter to you (an owner is set, docs exist, the pipeline passes); they will be rules in YAML, kept in git.</>,
        <>Scorecards exported from Port as JSON will be importable.</>,
      ]}
    />
  );
}
