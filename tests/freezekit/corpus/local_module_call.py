from localpkg.lazy import start_workers

print("squares", start_workers())
