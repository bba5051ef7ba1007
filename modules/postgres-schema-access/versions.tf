terraform {
  # 1.9+ for validation blocks that refer to other variables; 1.11 is what dbre is tested with.
  required_version = ">= 1.11"
  required_providers {
    dbre = {
      source  = "dbre/dbre"
      version = ">= 0.1.0"
    }
  }
}
