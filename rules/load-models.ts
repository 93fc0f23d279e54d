/**
 * Loads model files (rules/models/<id>.json, what to train) and trained models (<id>.model.json, what
 * `nudge train` wrote, what scores) like rule files: JSON parse, schema validation, then what the schema
 * cannot say — the id is the file's name, tag features name tags that exist. Every problem names the
 * file, the line and column, the JSON path and the reason.
 */
import { basename, join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { parseJsonFile } from './load-rules';
import { InvalidRuleSetError, type RuleProblem } from './rule-errors';
import { listJsonFiles, readSourceFile } from './source-files';
import { ModelFileSchema, type ModelFile } from './schema/model';
import { TrainedModelSchema, type TrainedModel } from './schema/trained-model';
import { unknownTagMessage } from './schema/tags';

export const MODELS_DIR_NAME = 'models';
export const TRAINED_SUFFIX = '.model.json';

export interface LoadedModelFile {
  model: ModelFile;
  file: string;
}

export interface LoadedTrainedModel {
  model: TrainedModel;
  file: string;
}

/** The `models` directory of the first directory among the rule paths, when it exists (as for tags). */
export function defaultModelPaths(rulePaths: string[]): string[] {
  const directory = rulePaths.find((path) => existsSync(path) && statSync(path).isDirectory());
  const models = directory === undefined ? undefined : join(directory, MODELS_DIR_NAME);
  return models !== undefined && existsSync(models) ? [models] : [];
}

/** Where `nudge train` writes the trained model of a model file: beside it, <id>.model.json. */
export const trainedModelPathOf = (modelFile: string, id: string): string => join(modelFile.replace(/[^/\\]*$/, ''), `${id}${TRAINED_SUFFIX}`);

/** Validates one model file; `tagNames`: the tags defined, when known (a tag feature must name one). */
export function validateModelFile(path: string, cwd = process.cwd(), tagNames?: ReadonlySet<string>): { model?: ModelFile; problems: RuleProblem[] } {
  const source = readSourceFile(path, cwd);
  if (source.text === undefined) return { problems: [source.problem!] };
  const { value: model, document, problems } = parseJsonFile(source.text, source.file, ModelFileSchema);
  if (!model || !document) return { problems };
  const located = (at: (string | number)[], message: string): RuleProblem => ({ file: source.file, path: at, message, ...document.positionOf(at) });
  const expected = basename(path).replace(/\.json$/, '');
  if (model.id !== expected) problems.push(located(['id'], `the id must be the file's name: "${expected}" (the trained model is written beside it as ${expected}${TRAINED_SUFFIX})`));
  if ('stream' in model.training.source && (!model.training.from || !model.training.to)) problems.push(located(['training', 'source'], 'training from the raw stream needs training.from and training.to: the range of the stream to read'));
  if (tagNames) {
    for (const [i, feature] of model.features.entries()) {
      if (feature.kind === 'tag' && !tagNames.has(feature.tag)) problems.push(located(['features', i, 'tag'], unknownTagMessage(feature.tag, tagNames)));
    }
  }
  return problems.length ? { problems } : { model, problems };
}

/** Loads a model file or throws InvalidRuleSetError listing every problem. */
export function loadModelFile(path: string, cwd = process.cwd(), tagNames?: ReadonlySet<string>): ModelFile {
  const { model, problems } = validateModelFile(path, cwd, tagNames);
  if (!model) throw new InvalidRuleSetError(problems);
  return model;
}

/** The trained models (*.model.json) of the given files and directories, validated; a missing path holds none. */
export function validateTrainedModels(paths: string[], cwd = process.cwd(), tagNames?: ReadonlySet<string>): { models: LoadedTrainedModel[]; problems: RuleProblem[] } {
  const files = listJsonFiles(paths, { missingOk: true }).filter((path) => path.endsWith(TRAINED_SUFFIX));
  const models: LoadedTrainedModel[] = [];
  const problems: RuleProblem[] = [];
  const owners = new Map<string, string>();
  for (const path of files) {
    const source = readSourceFile(path, cwd);
    if (source.text === undefined) {
      problems.push(source.problem!);
      continue;
    }
    const { value: model, document, problems: parsed } = parseJsonFile(source.text, source.file, TrainedModelSchema);
    problems.push(...parsed);
    if (!model || !document) continue;
    const located = (at: (string | number)[], message: string): RuleProblem => ({ file: source.file, path: at, message, ...document.positionOf(at) });
    const owner = owners.get(model.id);
    if (owner) problems.push(located(['id'], `model "${model.id}" is already trained in ${owner}`));
    const missingTags = tagNames ? model.features.flatMap((f, i) => (f.kind === 'tag' && !tagNames.has(f.tag) ? [located(['features', i, 'tag'], unknownTagMessage(f.tag, tagNames))] : [])) : [];
    problems.push(...missingTags);
    if (owner || missingTags.length) continue;
    owners.set(model.id, source.file);
    models.push({ model, file: source.file });
  }
  return { models, problems };
}

/** The trained models of the given paths, or InvalidRuleSetError listing every problem (profile, export). */
export function loadTrainedModels(paths: string[], cwd = process.cwd(), tagNames?: ReadonlySet<string>): TrainedModel[] {
  const { models, problems } = validateTrainedModels(paths, cwd, tagNames);
  if (problems.length) throw new InvalidRuleSetError(problems);
  return models.map(({ model }) => model);
}

/** The message for a `score` leaf naming a model that is not trained. */
export function unknownModelMessage(id: string, known: ReadonlySet<string>): string {
  const list = [...known].sort();
  return `unknown model "${id}": no trained model ${id}${TRAINED_SUFFIX} in the models directory (${list.length ? `trained: ${list.join(', ')}` : 'none is trained'}); run "nudge train rules/models/${id}.json"`;
}
