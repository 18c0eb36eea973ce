// One reading of the training logs for the CLI's report and the editor's report panel.
export { reportImagePaths, type TrainingCurves, trainingCurvesFromLogs } from '../../../../src/eval/report/training-curves.js';
