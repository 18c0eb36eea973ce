/** A problem with a run folder that the user can fix, with how: the report panel shows both. */
export class ReportDataError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}
