// Request fields shared by text-embeddings-inference's routes.
export const truncateSchema = {
  type: ["boolean", "null"],
  description:
    "cut inputs longer than the model takes to its maximum (default: the server's --auto-truncate); when false they are refused with 413",
} as const;

export const truncationDirectionSchema = {
  type: "string",
  enum: ["Right"],
  description: "which end is cut: only Right (the end of the text) is supported",
} as const;
