# Filled in by envsubst before `kubectl apply`: ${IMAGE_TAG} and the ${EXTRA_ARGS} line are unknown here
# (checks that need them are skipped, never guessed); the rest is read as written.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  replicas: 1
  selector:
    matchLabels: {app: chat}
  template:
    metadata:
      labels: {app: chat}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:${IMAGE_TAG}
          args:
            - "Qwen/Qwen3-8B"
            - "--max-model-len"
            - "8192"
            - "--gpu-memory-utilization"
            - "0.90"
${EXTRA_ARGS}
          resources:
            limits:
              nvidia.com/gpu: 1
          volumeMounts:
            - {name: shm, mountPath: /dev/shm}
      volumes:
        - name: shm
          emptyDir: {medium: Memory, sizeLimit: 8Gi}
