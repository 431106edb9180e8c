import CourseContent
import QuantCore
import Quantizers

/// The calibration split as a recipe reads it: the importance matrix of `imatrix = true`
/// (256-token chunks, as `quantlab imatrix` collects it by default) and the windows GPTQ and AWQ
/// draw. The text is read and tokenized only when the recipe needs either.
public enum CalibrationText {
    public static func inputs(
        for recipe: QuantizationRecipe, path: String, model: LlamaModel, tokenizer: Tokenizer,
        threads: Int
    ) throws -> (importance: [String: [Float]]?, calibration: CalibrationSet?) {
        let windows = ModelQuantizer.calibrationSettings(recipe)
        guard recipe.importanceMatrix || windows != nil else { return (nil, nil) }
        let tokens = tokenizer.encode(try BoundedFile.readText(path: path), addSpecial: true)
        let bos = tokenizer.addsBOS ? tokenizer.bosID : nil
        let context = model.config.contextLength
        var importance: [String: [Float]]?
        if recipe.importanceMatrix {
            let plan = try EvaluationPlan(tokens: tokens, contextLength: min(256, context), bos: bos, modelContext: context)
            importance = try ImportanceCollector.collect(model: model, plan: plan, threads: threads).importance
        }
        let calibration = try windows.map { try CalibrationSet(tokens: tokens, settings: $0, bos: bos, contextLength: context) }
        return (importance, calibration)
    }
}
