import { ComingSoon } from '../../components/coming-soon.js';

export function CreatePage() {
  return (
    <ComingSoon
      title="Create"
      coming="Create will turn your platform team's templates into a short form: pick a template, fill in a few fields, and get a repository, a catalog entry and a working pipeline in one step."
      today={[
        <>
          Platform engineers can write templates now, in git, in the Backstage scaffolder format (<code>scaffolder.backstage.io/v1beta3</code>).
        </>,
        <>Decide which golden paths (service, library, website…) your teams need first.</>,
      ]}
    />
  );
}
