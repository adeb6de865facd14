import { ComingSoon } from '../../components/coming-soon.js';

export function PipelinesPage() {
  return (
    <ComingSoon
      title="Pipelines"
      coming="Pipelines will show every run of your repositories' workflows — GitHub Actions syntax, run by Plinth's own runner — with live logs, and let you re-run or cancel them."
      today={[
        <>
          Keep workflows in <code>.github/workflows/</code> or <code>.plinth/workflows/</code>; Plinth will run them as they are.
        </>,
        <>
          Admins can watch Plinth's job queue through the API at <code>/api/jobs</code>.
        </>,
      ]}
    />
  );
}
