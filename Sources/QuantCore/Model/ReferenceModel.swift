/// Where the project's own reference model lives, relative to the course folder.
public enum ReferenceModel {
    public static let relativePath = "exercises/reference/storyteller-2m-f32.gguf"
    public static let evaluationTextPath = "exercises/reference/eval.txt"
    public static let calibrationTextPath = "exercises/reference/calibration.txt"
}
