import { ComingSoon } from '../../components/coming-soon.js';

export function EnvironmentsPage() {
  return (
    <ComingSoon
      title="Environments"
      coming="Environments will show where each service runs — development, staging, production — with its databases and current release, and let you deploy, promote and roll back."
      today={[
        <>
          Describe what each workload needs (containers, ports, databases) in a <code>score.yaml</code> (Score, <code>score.dev/v1b1</code>) next to its code.
        </>,
      ]}
    />
  );
}
